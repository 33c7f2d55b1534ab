"""Local stand-ins for systems tinhso cannot reach from a demo or a test machine.

Each sandbox speaks the real system's protocol on its side (signatures, fields, answers) so
that the real client code is exercised end to end; none is served in production mode.
"""
