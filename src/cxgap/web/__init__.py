"""The pages people use, rendered on the server from the same services the JSON API (`cxgap.api`) serves:
the dashboard (`web.pages`) and the closed loop's screens (`web.loop`)."""
