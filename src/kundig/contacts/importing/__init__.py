"""Import of contacts and companies from CSV and XLSX files.

``reading`` streams a file's rows, ``mapping`` knows the target fields and
guesses them from the headers, ``rows`` turns one row into service calls
(matching and merging), ``services`` runs a job chunk by chunk and
``selectors`` reads jobs for the views. The rules are written down in
``docs/adr/`` (import matching and merge).
"""
