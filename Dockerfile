# The portal's image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=imc.settings_production

WORKDIR /app
RUN useradd --create-home --uid 1000 imc

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Every Django app of the project is listed here (tests/foundation/test_compose.py checks it).
COPY manage.py pyproject.toml ./
COPY imc/ imc/
COPY portal/ portal/
COPY accounts/ accounts/
COPY outbox/ outbox/
COPY districts/ districts/
COPY groups/ groups/
COPY events/ events/
COPY newsletter/ newsletter/
COPY allies/ allies/
COPY desk/ desk/
COPY api/ api/
COPY embed/ embed/
COPY imports/ imports/
COPY templates/ templates/
COPY static/ static/

# Static files are collected into the image and served by whitenoise. The production settings
# insist on real secrets, so the build passes throwaway values that exist only in this step.
RUN SECRET_KEY=build-only-collectstatic-key-0123456789-abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=build.invalid REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --no-input --verbosity 0

USER imc
EXPOSE 8000
CMD ["gunicorn", "imc.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
