"""Blueprints: pages (/ and /data), api (/api/...), stream (/stream.mjpg and /events)."""
