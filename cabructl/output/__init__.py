"""Renderers: plans, drift, policy results and summaries as text, JSON, markdown, GitHub annotations."""
