from django import forms

from kapcare.website.forms import sniff
from kapcare.website.models import Faq, Page, ProviderProfile, WebsiteSettings


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = ["title", "nav", "description", "body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 24}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class FaqForm(forms.ModelForm):
    class Meta:
        model = Faq
        fields = ["question", "answer", "position"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 6})}


class WebsiteSettingsForm(forms.ModelForm):
    class Meta:
        model = WebsiteSettings
        fields = ["tagline", "phone", "text_number", "email", "hours", "guide_title", "guide_pdf",
                  "phq2_cutoff", "gad2_cutoff"]  # fmt: skip

    def clean_guide_pdf(self):
        upload = self.cleaned_data.get("guide_pdf")
        if upload and hasattr(upload, "content_type"):
            head = upload.read(8)
            upload.seek(0)
            if sniff(head) != "pdf":
                raise forms.ValidationError("The guide must be a PDF file.")
            if upload.size > 10 * 1024 * 1024:
                raise forms.ValidationError("The guide is larger than 10 MB; make it smaller.")
            upload.name = "guide.pdf"
        return upload

    def clean_phq2_cutoff(self):
        value = self.cleaned_data["phq2_cutoff"]
        if not 1 <= value <= 6:
            raise forms.ValidationError("PHQ-2 totals run from 0 to 6: choose 1 to 6.")
        return value

    def clean_gad2_cutoff(self):
        value = self.cleaned_data["gad2_cutoff"]
        if value is not None and not 1 <= value <= 6:
            raise forms.ValidationError("GAD-2 totals run from 0 to 6: choose 1 to 6, or leave empty.")
        return value


class ProviderProfileForm(forms.ModelForm):
    class Meta:
        model = ProviderProfile
        fields = ["published", "title", "licence", "licence_states", "certifications",
                  "supervised_experience", "integration_experience", "languages", "bio", "photo",
                  "position"]  # fmt: skip
        widgets = {
            "certifications": forms.Textarea(attrs={"rows": 3}),
            "bio": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload and hasattr(upload, "content_type"):
            head = upload.read(16)
            upload.seek(0)
            kind = sniff(head)
            if kind not in ("jpg", "png", "webp"):
                raise forms.ValidationError("The photo must be a JPEG, PNG or WebP image.")
            if upload.size > 2 * 1024 * 1024:
                raise forms.ValidationError("The photo is larger than 2 MB; make it smaller.")
            upload.name = f"provider.{kind}"
        return upload
