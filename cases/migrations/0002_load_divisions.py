"""Load the 11 township-level units, 兰山经开区 and the 359 villages/communities."""

from django.db import migrations


def forwards(apps, schema_editor):
    from cases.org import load_divisions

    load_divisions(
        apps.get_model("cases", "Township"), apps.get_model("cases", "Village"),
        apps.get_model("cases", "OrgChange"),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
