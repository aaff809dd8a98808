ROLE_USER = "user"
ROLE_ADMIN = "admin"
# A person whose working hours are booked; made one by an admin with POST /specialists.
ROLE_SPECIALIST = "specialist"
ROLES = (ROLE_USER, ROLE_ADMIN, ROLE_SPECIALIST)
