"""This app's staff URLs for the role-matrix walk: name -> (kwargs from the cast, method)."""

URLS = {"audit:log": (lambda cast: {}, "get")}
