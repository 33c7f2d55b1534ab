from django.urls import URLPattern, URLResolver, path

from tinhso.dossiers import views, views_office

app_name = "dossiers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("nop-ho-so/<str:code>/", views.start, name="start"),
    path("ho-so/nhap/<int:pk>/to-khai/", views.draft_form, name="draft-form"),
    path("ho-so/nhap/<int:pk>/giay-to/", views.draft_files, name="draft-files"),
    path("ho-so/nhap/<int:pk>/giay-to/tai-len/", views.draft_upload, name="draft-upload"),
    path("ho-so/nhap/<int:pk>/giay-to/kho/", views.draft_pick, name="draft-pick"),
    path("ho-so/nhap/<int:pk>/nhan-ket-qua/", views.draft_delivery, name="draft-delivery"),
    path("ho-so/nhap/<int:pk>/xem-lai/", views.draft_review, name="draft-review"),
    path("ho-so/nhap/<int:pk>/xoa/", views.draft_delete, name="draft-delete"),
    path("ho-so/tep/<int:file_pk>/", views.download_file, name="file"),
    path("ho-so/tep/<int:file_pk>/xoa/", views.remove_file, name="file-remove"),
    path("ho-so/ket-qua/<int:result_pk>/", views.download_result, name="result"),
    path("ho-so-cua-toi/", views.mine, name="mine"),
    path("ho-so-cua-toi/<str:code>/", views.detail, name="detail"),
    path("ho-so-cua-toi/<str:code>/bien-nhan.pdf", views.receipt, name="receipt"),
    path("ho-so-cua-toi/<str:code>/rut/", views.withdraw, name="withdraw"),
    path("ho-so-cua-toi/<str:code>/ma-tra-cuu/", views.reissue_secret, name="reissue-secret"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", views.rate, name="rate"),
    path(
        "ho-so-cua-toi/<str:code>/bo-sung/tai-len/",
        views.supplement_upload,
        name="supplement-upload",
    ),
    path("ho-so-cua-toi/<str:code>/bo-sung/", views.supplement_answer, name="supplement-answer"),
    path("tra-cuu-ho-so/", views.lookup, name="lookup"),
    path("tra-cuu-ho-so/qr/<str:token>/", views.lookup_link, name="lookup-link"),
    # officials (issue 4)
    path("mot-cua/", views_office.queue, name="office-home"),
    path("mot-cua/hang-doi/<str:name>/", views_office.queue, name="office-queue"),
    path("mot-cua/tiep-nhan/", views_office.intake_pick, name="office-intake-pick"),
    path("mot-cua/tiep-nhan/<str:code>/", views_office.intake, name="office-intake"),
    path("mot-cua/phan-cong/", views_office.bulk_assign, name="office-bulk-assign"),
    path("mot-cua/so-theo-doi.xlsx", views_office.tracking_book, name="office-book"),
    path("mot-cua/ho-so/<str:code>/", views_office.detail, name="office-detail"),
    path("mot-cua/ho-so/<str:code>/mau-<str:form>.pdf", views_office.form_pdf, name="office-form"),
    path(
        "mot-cua/ho-so/<str:code>/tep/<str:what>/<int:pk>/",
        views_office.office_file,
        name="office-file",
    ),
    path(
        "mot-cua/ho-so/<str:code>/thu-phi/<int:charge>/",
        views_office.counter_payment,
        name="office-counter-payment",
    ),
    path("mot-cua/ho-so/<str:code>/so-hoa/", views_office.digitise, name="office-digitise"),
    path("mot-cua/ho-so/<str:code>/<str:action>/", views_office.act, name="office-act"),
]
