"""Date and time formats (settings.FORMAT_MODULE_PATH): dd/mm/yyyy and HH:MM dd/mm/yyyy.

Vietnamese administrative practice writes dates day first with slashes (Decree 30/2020 on
documents); Django's Vietnamese locale uses `d-m-Y` and a spelled-out long form, its English
one `N j, Y`. Both interface languages show the same dates: an English reader of a
Vietnamese province's portal reads the dates of its records. Only the date and time formats
are set here; numbers and everything else come from Django's locale for the language.

The first input format is also what date text inputs (the admin's) show. A native
`<input type="date">` needs ISO: give its widget `format="%Y-%m-%d"`
(`tinhso.web.widgets.NativeDateInput`).
"""
