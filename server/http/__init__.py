"""HTTP plumbing shared by every route: middleware, problem responses, dependencies."""
