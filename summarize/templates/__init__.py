"""Jinja templates of the HTML pages, shipped as package data (``summarize.html`` renders them)."""
