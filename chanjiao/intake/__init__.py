"""Stage 1, intake: read submitted workbooks/CSVs into typed values (readers, normalisation, ingest) and write the blank submission workbook."""
