from django.http import HttpRequest, HttpResponse


def locked_out(request: HttpRequest, credentials: dict | None = None, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("Tài khoản tạm khóa.", status=429)


def sign_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def sign_out(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
