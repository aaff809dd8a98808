"""Auth policy in one place (documented in the README's security section)."""

LOGIN_LIMIT = "5/minute"  # per client IP + email
FORGOT_LIMIT = "3/minute"  # per client IP
# Per account, across all IPs: after 100 failures in an hour from clients without a device
# cookie, such logins are slowed to 2 a minute per client network (address, or /64 for
# IPv6), never locked out: the attacker's addresses stay slowed, the owner elsewhere is not.
ACCOUNT_FAILURE_BUDGET = "100/hour"
ACCOUNT_SLOWED_LIMIT = "2/minute"
# A device that has signed in to the account before (device cookie, see devices.py) is
# never slowed with the account; it is locked out itself after 10 failures in an hour.
DEVICE_FAILURE_BUDGET = "10/hour"

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

# The most common passwords of public breach lists that meet the length rule; a real
# deployment may extend this list, the check stays the same.
COMMON_PASSWORDS = frozenset(
    {
        "password", "12345678", "123456789", "1234567890", "password1", "password123",
        "qwertyuiop", "iloveyou", "11111111", "00000000", "abc12345", "qwerty123",
        "1q2w3e4r", "1qaz2wsx", "sunshine", "princess", "football", "baseball",
        "welcome1", "letmein1", "trustno1", "superman", "starwars", "passw0rd",
        "qwertyui", "asdfghjkl", "zaq12wsx", "monkey123", "dragon123", "master123",
        "changeme", "admin123", "administrator", "87654321", "12341234", "11223344",
    }
)  # fmt: skip
