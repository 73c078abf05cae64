"""Running the pipeline: settings, the command line, progress display, installation checks and notifications of unattended runs."""
