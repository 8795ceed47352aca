from django.urls import path

from kapcare.website import staff, views
from kapcare.website.pages import PAGES

app_name = "website"
urlpatterns = [
    path("", views.home, name="home"),
    *[path(route, views.page, {"slug": slug}, name=slug) for slug, route in PAGES],
    path("faq/", views.faq, name="faq"),
    path("contact/", views.contact, name="contact"),
    path("providers/", views.providers, name="providers"),
    path("providers/<int:pk>/photo/", views.provider_photo, name="provider_photo"),
    path("verify-coverage/", views.verify_coverage, name="verify_coverage"),
    path("guide/", views.guide, name="guide"),
    path("guide/confirm/<str:token>/", views.guide_confirm, name="guide_confirm"),
    path("am-i-a-candidate/", views.self_screen, name="self_screen"),
    path("am-i-a-candidate/contact/", views.self_screen_contact, name="self_screen_contact"),
    path("thanks/<str:kind>/", views.thanks, name="thanks"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("robots.txt", views.robots, name="robots"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    # Clinic admins edit the site in the staff app.
    path("staff/website/", staff.overview, name="staff_overview"),
    path("staff/website/pages/<int:pk>/", staff.page_edit, name="staff_page_edit"),
    path("staff/website/preview/", staff.preview, name="staff_preview"),
    path("staff/website/faqs/new/", staff.faq_new, name="staff_faq_new"),
    path("staff/website/faqs/<int:pk>/", staff.faq_edit, name="staff_faq_edit"),
    path("staff/website/faqs/<int:pk>/delete/", staff.faq_delete, name="staff_faq_delete"),
    path("staff/website/settings/", staff.site_settings, name="staff_settings"),
    path("staff/website/providers/", staff.providers, name="staff_providers"),
    path("staff/website/providers/<int:pk>/", staff.provider_edit, name="staff_provider_edit"),
]
