"""The policy that turns scores into the whitelist: rules, limits, pricing, segments, assignment."""
