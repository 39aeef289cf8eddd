"""`make quality`: dub real speech through the service and measure the dub from its outputs."""
