"""Importing the allies who already signed: a CSV (and a ZIP of logos), reported row by row,
then created by the worker."""
