from connectors.crm.vendor_http import _path


def test_logged_paths_hide_emails_used_as_external_ids():
    url = "https://x.my.salesforce.com/services/data/v62.0/sobjects/Contact/Inkstream_Email__c/rahul%40umbrella.fr?q=a@b"
    logged = _path(url)
    assert "rahul" not in logged and "@" not in logged and "%40" not in logged
    assert logged.endswith("/Contact/Inkstream_Email__c/<email>")
