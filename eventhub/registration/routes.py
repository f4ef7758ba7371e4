from eventhub.registration import bp  # noqa: F401
