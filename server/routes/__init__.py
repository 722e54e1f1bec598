"""Route modules, one per resource; each is thin: parse, authorize, call a service, shape."""
