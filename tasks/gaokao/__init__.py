"""GAOKAO-Bench objective questions (2010-2022 and yearly updates), scored in points by its own rules."""
