"""Availability (R-22): which slots of a resource's local day can be booked, cached.

A domain of its own rather than part of `slots` because it only reads: the slots domain owns
the rows and their status changes; this one answers the public question from them, keeps the
answer in Redis and owns the rule for throwing it away, which every writer (resources, the
bookings to come, jobs) calls after its transaction commits.
"""
