from django import forms


class ConsentSignForm(forms.Form):
    """Signing one version of a consent document: the full name typed, and the version read."""

    agree = forms.BooleanField(
        label="I have read this document, I understand it, and I agree to it.",
        error_messages={"required": "Tick this box to say you have read and agree to the document."},
    )
    typed_name = forms.CharField(
        label="Type your full legal name to sign",
        max_length=200,
        help_text="First and last name, as on your record.",
        error_messages={"required": "Type your full legal name to sign."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, document=None, **kwargs):
        super().__init__(*args, **kwargs)
        if document is not None:
            self.fields["version"].initial = document.version
            self.fields["sha256"].initial = document.sha256
        self.fields["typed_name"].widget.attrs["autocomplete"] = "name"


class ConsentDocumentForm(forms.Form):
    """A new version of a consent document. Patients who signed an earlier one are asked again."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text="Plain text. A blank line starts a new paragraph.",
    )

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        if current is not None:
            self.fields["title"].initial, self.fields["body"].initial = current.title, current.body

    def clean(self):
        data = super().clean()
        current = self.current
        if current is not None and data.get("title", "").strip() == current.title:
            body = data.get("body", "").replace("\r\n", "\n").strip()
            if body == current.body:
                raise forms.ValidationError(
                    f"This is the text of version {current.version} already: "
                    "change it to publish a new version."
                )
        return data


class ConsentWithdrawalForm(forms.Form):
    note = forms.CharField(
        label="How the patient withdrew it",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: letter dated and received on a day, kept in the record.",
        error_messages={"required": "Say how the withdrawal reached the clinic: it must be in writing."},
    )
