"""Exports of a topology for the people and tools around the backbone.

``asyncapi`` writes an AsyncAPI 3.0 document, ``catalogue`` a static browsable site, both from
the facts of :mod:`cabructl.exports.facts`; ``cloudformation`` writes a CloudFormation template.
Each module is imported on use, so importing the package costs nothing.
"""
