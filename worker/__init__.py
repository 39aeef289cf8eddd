"""Worker processes: `python -m worker --role cpu|gpu`."""
