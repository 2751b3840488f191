"""What administrators, practices and guides use at a desk: web pages served by the town server."""
