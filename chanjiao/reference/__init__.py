"""Reference data the stages judge by: the field catalogue, the scoring frameworks, provinces, registry, deadlines, milestones and layout."""
