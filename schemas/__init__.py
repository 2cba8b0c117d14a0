"""Avro schemas of inkstream's topics (``*.avsc``, one per topic) and their codec."""
