"""Share built routines: a static site with a podcast feed, a local server, a zip per routine."""
