"""The kit's jobs, one owner each: the Kit builds them, the web layer talks to them.

- retention.Retention      keeps each kind only as long as configured, and guards the disk
- snapshots.Snapshots      one (blurred) picture of each person, and the files' rows
- visitors.Visitors        the phones that open the dashboard, and the guess at which person holds one
- forgetting.Forgetting    "forget everything" and "forget me", across every part that remembers
- privacy.Privacy          what viewers see: faces blurred for phones, perhaps clear on the kiosk
- presence.Presence        whether someone is there, from every sensor that has a say
"""
