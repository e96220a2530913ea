import { useRouter } from 'next/router';

export default function About() {
  const router = useRouter();
  return (
    <main>
      <h1>Next about</h1>
      <button id="go-p2" onClick={() => router.push('/products/2')}>Product 2</button>
    </main>
  );
}
