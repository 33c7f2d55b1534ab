"""The operations centre (IOC, trung tâm điều hành): the Decision 766 index and its reads."""
