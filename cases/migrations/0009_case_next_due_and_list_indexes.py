"""Case.next_due_at (the nearest open due moment, which orders the case list) filled for
existing cases; indexes for the case list by township and state, the prefix name search and
the deadline sweep (docs/benchmarks.md, "Recommended changes")."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def fill_next_due(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Deadline = apps.get_model("cases", "Deadline")
    nearest = (Deadline.objects.filter(case=OuterRef("pk"), status="open").order_by()
               .values("case").annotate(m=Min("due_at")).values("m"))
    Case.objects.filter(deadlines__status="open").distinct().update(
        next_due_at=Subquery(nearest))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_verification_seed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_township_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='person_name_idx',
        ),
        migrations.AddField(
            model_name='case',
            name='next_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近到期'),
        ),
        migrations.RunPython(fill_next_due, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['township', 'next_due_at', '-applied_at', '-id'], name='case_township_next_due_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['township', 'status', 'next_due_at', '-applied_at', '-id'], name='case_township_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('breached_at__isnull', True), ('status', 'open')), fields=['due_at'], name='deadline_unbreached_idx'),
        ),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('at_risk_at__isnull', True), ('breached_at__isnull', True), ('status', 'open')), fields=['due_at'], name='deadline_unwarned_idx'),
        ),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('escalated_at__isnull', True), ('kind', 'emergency_aid'), ('status', 'open')), fields=['start_at'], name='deadline_escalation_idx'),
        ),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(condition=models.Q(('kind', 'publicity'), ('status', 'open')), fields=['due_at'], name='deadline_open_publicity_idx'),
        ),
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['name'], name='person_name_idx', opclasses=['varchar_pattern_ops']),
        ),
    ]
