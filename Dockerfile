# syntax=docker/dockerfile:1.7
#
# Two images from one file:
#   app    (default) the Django project: gunicorn, the Celery worker and Celery beat all run
#          from it; only the command differs (see docker-compose.yml).
#   proxy  nginx in front of gunicorn: serves the collected static files, passes the rest on.
#          Uploaded and issued documents (MEDIA_ROOT) are never served by it: the application
#          checks permissions before every download.

# --- app ----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries (Pango; HarfBuzz with its subsetter, without which Chinese PDFs render
# many times slower; fontconfig) and the Noto CJK fonts for Chinese notices and pages.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig postgresql-client \
      fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself, installed in place: templates and static files stay beside the code.
COPY . .
RUN pip install --no-deps -e . \
 && rm -rf lanshan_aid.egg-info

# Runtime data (uploads, issued documents, beat schedule) lives in a volume at VAR_DIR; the
# collected static files are part of the image.
ENV VAR_DIR=/var/lib/lanshan-aid \
    MEDIA_ROOT=/var/lib/lanshan-aid/media \
    STATIC_ROOT=/app/staticfiles \
    DEBUG=false

RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/lanshan lanshan \
 && mkdir -p /var/lib/lanshan-aid/media \
 && chown -R lanshan:lanshan /var/lib/lanshan-aid
USER lanshan

EXPOSE 8000
CMD ["gunicorn", "lanshan_aid.wsgi", "--bind", "0.0.0.0:8000", "--timeout", "120", "--access-logfile", "-"]

# --- proxy --------------------------------------------------------------------------------
FROM nginx:stable-alpine AS proxy

COPY --from=app /app/staticfiles /srv/static
COPY <<'EOF' /etc/nginx/conf.d/default.conf
upstream lanshan_aid_web {
    server web:8000;
}

# Plain HTTP only redirects: the application sends its pages over TLS alone (等保 8.1.2.2).
server {
    listen 80 default_server;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl default_server;
    ssl_certificate /etc/nginx/tls/server.crt;
    ssl_certificate_key /etc/nginx/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 25m;

    location /static/ {
        alias /srv/static/;
        expires 1h;
        access_log off;
    }

    location / {
        proxy_pass http://lanshan_aid_web;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_read_timeout 120s;
    }
}
EOF
