import { Head, Html, Main, NextScript } from 'next/document';

// The Tapistry snippet as a customer pastes it; {{…}} are filled in by the e2e static server.
const SNIPPET = `(function(w,d,s,u,k){w.tapistry=w.tapistry||function(){(w.tapistry.q=w.tapistry.q||[]).push(arguments)};
var js=d.createElement(s);js.async=1;js.src=u;js.dataset.project=k;js.crossOrigin='anonymous';js.integrity='{{SRI}}';
d.head.appendChild(js);})(window,document,'script','{{ORIGIN}}/v1.js','{{KEY}}');`;

export default function Document() {
  return (
    <Html lang="en">
      <Head>
        <script dangerouslySetInnerHTML={{ __html: SNIPPET }} />
      </Head>
      <body>
        <Main />
        <NextScript />
      </body>
    </Html>
  );
}
