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
