"""Seeing the graph: drawings and backprop traces."""
