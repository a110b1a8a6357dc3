"""`colorize edit`: a local browser page to place colour hints on photos and film frames, see
the result at once, and save the hint files a `colorize run --hints DIR` job applies.

  items    the inputs' items and their hint files (where the run reads them); atomic save
  views    previews of photos and film frames, coloured by the engine; tracked film hints
  palette  the colours suggested for a new point
  server   the HTTP server: 127.0.0.1, a token, a Host check, items named by index only
  page.html  the page (plain HTML/JS/CSS, shipped in the package, nothing fetched from outside)
"""
