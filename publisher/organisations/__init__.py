"""Organisations (the department, press bodies, the Red Cross, communes) and the guidance
the department sends them: who owns which rows, who sees what, who carried what."""
