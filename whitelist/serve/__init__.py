"""Serving a scoring run: the pre-approval lookup an enterprise's QR code opens, decisions and real-time scores."""
