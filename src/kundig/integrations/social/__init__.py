"""Social media monitoring: posts from RSS/Atom feeds, a Mastodon account's
mentions and an intake endpoint, stored once each; the service desk's keyword
rules turn the ones that matter into tickets or tasks."""
