"""The privacy notice: its versions (edited by superusers in the admin), the current one, and
the operator named on it and on the imprint."""
