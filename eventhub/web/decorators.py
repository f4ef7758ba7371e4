"""Role gates for organiser routes. Scope (which project, which event) is checked by
eventhub.core.services.access inside each view, on the object it loads."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from eventhub.core.models import Role


def roles_required(*roles: Role):
    """Signed in with one of ``roles``; anyone else gets 404 (nothing to see here)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorate


manager_required = roles_required(Role.ADMIN, Role.MANAGER)
staff_required = roles_required(Role.ADMIN, Role.MANAGER, Role.CHECKIN)
admin_required = roles_required(Role.ADMIN)
