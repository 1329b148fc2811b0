"""``kundig bench``: server response times of the pages and API calls that matter.

* :mod:`.database` points Django at the benchmark database, creates, migrates
  and seeds it, and describes the machine and the data.
* :mod:`.scenarios` draws realistic, varied requests from the data: random
  contacts, search strings as people type them, filters, cursors.
* :mod:`.runner` times the requests inside the process through Django's test
  client and reads the server's own ``Server-Timing`` header.
* :mod:`.report` prints the table and writes it as Markdown.
"""
