"""The staff landing page and, later, the overview figures."""
