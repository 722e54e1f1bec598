"""Service layer: load, call pure logic, save; the caller's unit of work commits once."""
