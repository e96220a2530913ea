import Link from 'next/link';

export function getStaticPaths() {
  return { paths: [{ params: { id: '1' } }, { params: { id: '2' } }], fallback: false };
}

export function getStaticProps({ params }) {
  return { props: { id: params.id } };
}

export default function Product({ id }) {
  return (
    <main>
      <h1>Next product {id}</h1>
      <Link id="to-home" href="/">Home</Link>
    </main>
  );
}
