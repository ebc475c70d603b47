"""cabructl: one YAML file for an EventBridge backbone of autonomous agents.

Kept import-free on purpose: ``cabructl --help`` must answer fast, so boto3, moto
and jsonschema are imported only by the commands that need them.
"""

__version__ = "0.1.0"
