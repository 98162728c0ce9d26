"""`dates-py`: a function with a package from PyPI (python-dateutil, in requirements.txt).
`GET /py/date/:text` reads a date written the way people write them and answers it in
ISO 8601, with its weekday.
"""

from dateutil import parser

from edgeway import Problem


def read_date(request):
    text = request.params["text"]
    try:
        when = parser.parse(text)
    except (ValueError, OverflowError) as error:
        raise Problem(400, "Bad Request", f"no date in {text!r}: {error}") from None
    return {"text": text, "iso": when.isoformat(), "weekday": when.strftime("%A")}
