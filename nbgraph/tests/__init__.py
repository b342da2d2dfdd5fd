"""``nbgraph.tests`` (Theano's ``theano.tests``): only ``unittest_tools``, the helpers the
"Extending Theano" tutorial tests its ops with. The project's own tests live in ``tests/``."""
