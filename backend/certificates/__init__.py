"""E-certificates: the PDF of a granted patent or registered trademark, signed by the office."""
